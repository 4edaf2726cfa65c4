"""The benchmark's baselines, each served by its own process with `points serve`'s uvicorn settings.

    python -m bench.baselines settings PORT WORKERS      # prints `points serve`'s uvicorn settings (JSON)
    python -m bench.baselines limit|bare|floor SETTINGS  # serves that app with them

- `limit`: a raw ASGI app answering every request with constant JSON: what uvicorn itself can serve.
- `bare`: a bare FastAPI endpoint at GET /v1/eligibility returning a constant (no parameters read).
- `floor`: a raw ASGI app that parses a batch body (a JSON array) and echoes each line: the batch floor.

The settings are not copied by hand: `points serve` is invoked with uvicorn.run replaced by a recorder, and
its keyword arguments are reused with only the app changed and uvicorn's access log off (none of these apps
logs per request). They are read in a process of their own, so a baseline's memory holds its app only."""
import json
import sys
from unittest import mock

from fastapi import FastAPI
from pydantic_core import from_json, to_json

CONSTANT = b'{"status":"ok"}'
JSON_HEADERS = [(b"content-type", b"application/json")]


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": JSON_HEADERS + [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def limit(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    await _answer(send, 200, CONSTANT)


async def floor(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    try:
        lines = from_json(b"".join(chunks) or b"[]")
    except ValueError:
        return await _answer(send, 400, b'{"error":"not JSON"}')
    await _answer(send, 200, to_json([line for line in lines]))


bare = FastAPI()


@bare.get("/v1/eligibility")
async def constant() -> dict:
    return {"status": "ok"}


def workers_args(workers: int) -> list[str]:
    """`--workers N` for `points serve`; without it only when the command has no such option and N is 1."""
    from typer.testing import CliRunner

    from api.cli import app as cli

    if "--workers" in CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200).output:
        return ["--workers", str(workers)]
    if workers == 1:
        return []
    raise NotImplementedError("`points serve` has no --workers option")


def serve_settings(port: int, workers: int) -> dict:
    """The keyword arguments `points serve --port P --workers N` passes to uvicorn.run."""
    from typer.testing import CliRunner

    from api.cli import app as cli

    recorded = {}
    with mock.patch("uvicorn.run", side_effect=lambda app, **kw: recorded.update(kw, app=app)):
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), *workers_args(workers)])
    if result.exit_code != 0 or not recorded:
        raise SystemExit(f"could not read `points serve`'s uvicorn settings (exit {result.exit_code}): "
                         f"{result.output or result.exception}")
    return recorded


def main() -> None:
    if sys.argv[1] == "settings":
        print(json.dumps(serve_settings(int(sys.argv[2]), int(sys.argv[3]))))
        return
    import uvicorn

    name = sys.argv[1]
    if name not in ("limit", "bare", "floor"):
        raise SystemExit(f"unknown baseline {name!r}")
    settings = json.loads(sys.argv[2]) | {"app": f"bench.baselines:{name}", "access_log": False}
    print(f"baseline {name}: uvicorn.run(**{settings})", flush=True)
    uvicorn.run(**settings)


if __name__ == "__main__":
    main()
