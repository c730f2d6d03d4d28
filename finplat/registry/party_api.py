from finplat.api_base import Blueprint

blp = Blueprint("registry_party_api", __name__, description="Registry: partys")
