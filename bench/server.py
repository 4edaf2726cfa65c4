"""`app`: the service as deployed. `bare`: a FastAPI app with one endpoint returning a constant, the
baseline the eligibility endpoint is compared against."""
from fastapi import FastAPI

from api.main import create_app

app = create_app()
bare = FastAPI()


@bare.get("/bench/constant")
async def constant() -> dict:
    return {"status": "ok"}
