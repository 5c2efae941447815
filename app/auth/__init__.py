"""Signing in and out; loading the signed-in person for each request."""
from flask import Blueprint, Flask
from flask_babel import gettext as _, lazy_gettext as _l

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    from app.auth import routes  # noqa: F401  (registers the views on bp)
    from app.auth.session import load_user, load_user_from_request
    from app.extensions import login_manager

    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.unauthorized_handler(_unauthorized)
    app.register_blueprint(bp)


def _unauthorized():
    """Pages send people to the sign-in page; the API answers 401 in JSON."""
    from flask import flash, redirect, request, url_for

    from app.api.errors import error_response
    from app.errors import wants_json

    if wants_json():
        return error_response(401, "unauthorized", _("Sign in or send a valid API token."))
    flash(_("Please sign in to see that page."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
