"""Count the round trips the app makes to Redis, as redis-py sends them.

A plain command (`GET`, `SET` ...) goes through the client's `execute_command`: one
round trip. A pipeline queues its commands and sends them all at `execute`: one
round trip, whatever it holds. `RedisRoundTrips(client).recording()` wraps both on
that one client for the block and writes down each round trip: a command's name, or
the list of a pipeline's command names.
"""

from contextlib import contextmanager


def _name(args):
    name = args[0]
    return (name.decode() if isinstance(name, bytes) else str(name)).upper()


class RedisRoundTrips:
    def __init__(self, client):
        self.client = client
        self.log = []

    @contextmanager
    def recording(self):
        """`with trips.recording() as log:` the Redis round trips of the block, in order."""
        client, log = self.client, []
        plain, make_pipeline = client.execute_command, client.pipeline

        def execute_command(*args, **options):
            log.append(_name(args))
            return plain(*args, **options)

        def pipeline(*args, **kwargs):
            pipe = make_pipeline(*args, **kwargs)
            send = pipe.execute

            def execute(*a, **k):
                log.append([_name(command[0]) for command in pipe.command_stack])
                return send(*a, **k)

            pipe.execute = execute
            return pipe

        client.execute_command, client.pipeline = execute_command, pipeline
        try:
            yield log
        finally:
            del client.execute_command, client.pipeline
