"""moto_server, answering one request at a time (started by scripts/moto).

moto's server runs each request on its own thread, and moto's models are not safe for that:
two calls that touch one VPC at the same moment (a CreateSubnet while a CreateNetworkAcl is
being served) can fail with an HTTP 500 and no AWS error code. The real services do not fail
that way, so a test that saw it would be testing moto, not skel. This wraps moto's WSGI
application in one lock: connections (and keep-alive) stay concurrent, the requests are
served one after the other — which is also what the benchmark's "throughput floor" assumes.
"""

import sys
import threading

import moto.server as server

_run_simple = server.run_simple
_lock = threading.Lock()


def _serial(app):
    def serve(environ, start_response):
        with _lock:
            # The whole response is produced inside the lock.
            return list(app(environ, start_response))

    return serve


def run_simple(hostname, port, application, *args, **kwargs):
    return _run_simple(hostname, port, _serial(application), *args, **kwargs)


server.run_simple = run_simple

if __name__ == "__main__":
    server.main(sys.argv[1:])
