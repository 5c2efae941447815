from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import SignInForm
from app.auth.session import authenticate
from app.web import ROLE_HOMES


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Unknown e-mail address or wrong password."))
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    # CSRFProtect has already refused a POST without a valid token.
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("selfservice.home"))


@bp.route("/home")
@login_required
def home():
    """Each person lands on the page of their first role."""
    for role, endpoint in ROLE_HOMES:
        if current_user.has_role(role):
            return redirect(url_for(endpoint))
    flash(_("Your account has no role yet; ask an administrator."), "warning")
    return redirect(url_for("selfservice.home"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect after sign-in would hand phishing a trusted link."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
