"""A JetStream cluster of nats-servers on 127.0.0.1 for tests of several
stratusd instances sharing state (the topology of issue 19):

    with NatsCluster(3) as c:          # 3 nodes, routes to each other, -js
        c.url                           # "nats://127.0.0.1:A,nats://127.0.0.1:B,..."
        c.nodes[0].url                  # one node
        c.kill(1); c.restart(1)         # SIGKILL a node, start it again (same ports, data)
        c.meta_leader()                 # server_name of the JetStream meta leader ("n0".."n2")

start() returns once every running node sees a meta leader and the full
cluster. Each node is a NatsServer (natsserver.py) with its own temp dir.
"""

import time

try:
    from . import ports
    from .natsserver import NatsServer
except ImportError:
    import ports
    from natsserver import NatsServer


class NatsCluster:
    def __init__(self, n=3, name="stratus-test"):
        self.name = name
        self.route_ports = [ports.free_port() for _ in range(n)]
        self.nodes = [NatsServer(jetstream=True, config=self._config(i)) for i in range(n)]

    def _config(self, i):
        routes = ", ".join(f'"nats-route://127.0.0.1:{p}"'
                           for j, p in enumerate(self.route_ports) if j != i)
        return (f'server_name: "n{i}"\n'
                f'cluster {{\n  name: "{self.name}"\n'
                f'  listen: "127.0.0.1:{self.route_ports[i]}"\n'
                f'  routes: [{routes}]\n}}\n')

    @property
    def url(self):
        return ",".join(n.url for n in self.nodes if n.running)

    def start(self, timeout=30.0):
        for node in self.nodes:
            node.start()
        self.wait_ready(timeout)
        return self

    def meta(self, node):
        return node.monitor("jsz").get("meta_cluster") or {}

    def meta_leader(self):
        for node in self.nodes:
            if node.running:
                leader = self.meta(node).get("leader")
                if leader:
                    return leader
        return None

    def wait_ready(self, timeout=30.0):
        """Until every running node knows a meta leader and all peers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                metas = [self.meta(n) for n in self.nodes if n.running]
                if metas and all(m.get("leader") and m.get("cluster_size") == len(self.nodes)
                                 for m in metas):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JetStream cluster not ready after {timeout}s: "
                                   f"{[n.log for n in self.nodes]}")
            time.sleep(0.1)

    def kill(self, i):
        self.nodes[i].kill()

    def restart(self, i):
        self.nodes[i].restart()

    def stop(self):
        for node in self.nodes:
            node.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
