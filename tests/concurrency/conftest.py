"""A live server for the concurrency tests, with room for 50 simultaneous connections."""

from __future__ import annotations

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread


class Server(ThreadedWSGIServer):
    # Django's live server queues 10 pending connections; 50 clients at once are reset.
    request_queue_size = 128


class ServerThread(LiveServerThread):
    server_class = Server


@pytest.fixture
def live(transactional_db):
    """The URL of a threaded server of the test project (each request in its own thread)."""
    thread = ServerThread("127.0.0.1", static_handler=lambda app: app)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()
