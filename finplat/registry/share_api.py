from finplat.api_base import Blueprint

blp = Blueprint("registry_share_api", __name__, description="Registry: shares")
