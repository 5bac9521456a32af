"""Serve the benchmark project: Django's threaded WSGI server with ``TCP_NODELAY``.

    DATABASE_URL=postgres://... python benchmarks/serve.py 127.0.0.1:8000

``runserver`` without the autoreloader, the checks and the per-request log, and with
Nagle's algorithm off on accepted sockets: Django's handler writes the headers and the body
in two ``send()`` calls, and with Nagle on, the client's delayed ACK adds ~40 ms to every
keep-alive response, which would swamp what we measure. Any WSGI server works
(``benchmarks.wsgi``-style: ``DJANGO_SETTINGS_MODULE=benchmarks.settings``); this one needs
nothing beyond the standard library and Django.
"""

from __future__ import annotations

import os
import socket
import sys


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class NoDelayServer(ThreadedWSGIServer):
        request_queue_size = 64

        def get_request(self):
            sock, address = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002
            pass

    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"
    host, _, port = address.rpartition(":")
    server = NoDelayServer((host or "127.0.0.1", int(port)), QuietHandler)
    server.set_app(get_wsgi_application())
    print(f"serving {os.environ['DJANGO_SETTINGS_MODULE']} on http://{address}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
