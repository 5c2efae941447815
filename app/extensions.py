"""Flask extensions, created unbound here and bound to the app in `create_app`."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from knowledge.base import Base

# The domain floors map onto their own declarative Base; Flask-SQLAlchemy only manages the
# engine and the request-scoped session for that same metadata.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
