"""The ZooKeeper C client (Debian's libzookeeper-mt) against a real 3-node
Warden ensemble: runs c_client (built from c_client.c), which checks the
synchronous API call by call and exits non-zero on any unexpected result.

Usage: c_client_test.py WARDEN_BINARY C_CLIENT_BINARY"""

import subprocess
import sys
import unittest

from ensemble import EnsembleTestCase

WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"
C_CLIENT = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/warden_c_client"


class CClientAgainstWarden(EnsembleTestCase):
    WARDEN = WARDEN

    def run_client(self, hosts, base):
        done = subprocess.run([C_CLIENT, hosts, base], capture_output=True, text=True,
                              timeout=90)
        self.assertEqual(done.returncode, 0, f"c_client failed:\n{done.stdout}{done.stderr}")
        self.assertTrue(done.stdout.endswith("all checks passed\n"))
        self.assertNotIn("FAIL", done.stdout)

    def test_the_synchronous_api_against_the_ensemble(self):
        self.run_client(self.ensemble.hosts(), "/c_client")

    def test_the_synchronous_api_against_each_node(self):
        for node in (1, 2, 3):
            with self.subTest(node=node):
                self.run_client(self.ensemble.host(node), f"/c_client_node{node}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
