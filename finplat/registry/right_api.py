from finplat.api_base import Blueprint

blp = Blueprint("registry_right_api", __name__, description="Registry: rights")
