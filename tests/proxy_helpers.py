"""A TCP proxy that can freeze: the real server seen through a path that stops answering.

`FreezableProxy(port)` listens on 127.0.0.1:<free port> and forwards every connection
to 127.0.0.1:<port>. `freeze()` stops forwarding in both directions without closing
anything (bytes wait in the kernel, new connections are accepted and then ignored),
which is what a SIGSTOPped server or a black-holed network looks like to a client.
`thaw()` resumes; `close()` ends everything.
"""

import select
import socket
import threading


class FreezableProxy:
    def __init__(self, upstream_port, host="127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self.running = threading.Event()
        self.running.set()
        self.closed = False
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self):
        self.running.clear()

    def thaw(self):
        self.running.set()

    def close(self):
        self.closed = True
        self.running.set()
        for sock in [self.listener, *self.sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        self.running.wait()
        if self.closed:
            return
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        self.sockets.append(server)
        threading.Thread(target=self._pump, args=(server, client), daemon=True).start()
        self._pump(client, server)

    def _pump(self, source, target):
        """Copy source to target while running; when frozen, stop reading (and so stop answering)."""
        try:
            while not self.closed:
                if not self.running.is_set():
                    self.running.wait()
                    continue
                ready, _, _ = select.select([source], [], [], 0.05)
                if not ready or not self.running.is_set():
                    continue
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
