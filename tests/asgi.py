"""HTTP through the product's ASGI application in process, as a server drives it: an
exchange ends when the application has finished, not when the last byte of its answer
arrived. Until then the request's thread may still hold its database connection; a test
that moved on would leave it out of the pool for good."""

from channels.testing import HttpCommunicator

from functions_ide.asgi import application


async def exchange(method: str, path: str, *, body: bytes = b"", headers=(), timeout: float = 10):
    """The answer's start message with its "body" joined, once the application is done."""
    communicator = HttpCommunicator(application, method, path, body=body, headers=list(headers))
    response = await communicator.get_response(timeout=timeout)
    await communicator.wait(timeout)
    return response
