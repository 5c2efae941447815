from flask import jsonify
from sqlalchemy import text

from app.api import bp
from app.extensions import csrf, db

# The API authenticates with tokens, not cookies, so CSRF (a cookie attack) does not apply.
csrf.exempt(bp)


@bp.route("/health")
def health():
    """For load balancers: the app answers and the database is reachable."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
