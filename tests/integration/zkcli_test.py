"""zkCli.sh (the Java client from Debian's zookeeper package) against a real
3-node Warden ensemble: everyday commands, each run as its own zkCli.sh
process against a different node.

Usage: zkcli_test.py WARDEN_BINARY"""

import subprocess
import sys
import unittest

from ensemble import EnsembleTestCase

WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


class ZkCliAgainstWarden(EnsembleTestCase):
    WARDEN = WARDEN

    def zkcli(self, node, *command):
        server = f"127.0.0.1:{self.ensemble.client_ports[node - 1]}"
        done = subprocess.run([ZKCLI, "-server", server, *command], capture_output=True,
                              text=True, timeout=60)
        return done.stdout + done.stderr

    def test_everyday_commands_across_nodes(self):
        self.assertIn("Created /cli", self.zkcli(1, "create", "/cli", "hello"))
        self.assertIn("hello", self.zkcli(2, "get", "/cli"))
        self.zkcli(3, "set", "/cli", "again")
        stat = self.zkcli(1, "stat", "/cli")
        self.assertIn("dataVersion = 1", stat)
        self.assertIn("dataLength = 5", stat)
        self.zkcli(2, "create", "-s", "/cli/seq-", "x")
        self.assertIn("[seq-0000000000]", self.zkcli(3, "ls", "/cli"))
        self.assertIn("Node already exists", self.zkcli(1, "create", "/cli", "x"))
        self.zkcli(1, "deleteall", "/cli")
        self.assertIn("Node does not exist", self.zkcli(2, "get", "/cli"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
