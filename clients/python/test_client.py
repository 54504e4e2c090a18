"""Tests of cordon_client against a running ``cordon serve`` (CORDON_URL, CORDON_TOKEN).

The vitest suite starts a real server on 127.0.0.1 port 0 and runs ``python3 -m unittest``
here with those variables set (test/server/client.test.ts).
"""

import os
import socket
import threading
import unittest

from cordon_client import CordonClient, CordonError

URL = os.environ.get("CORDON_URL")
TOKEN = os.environ.get("CORDON_TOKEN", "")


@unittest.skipUnless(URL, "CORDON_URL is not set: run through the vitest suite")
class ClientTest(unittest.TestCase):
    def setUp(self):
        self.cordon = CordonClient(URL, TOKEN, timeout=30)
        self.created = []

    def tearDown(self):
        for sid in self.created:
            try:
                self.cordon.destroy(sid)
            except CordonError:
                pass

    def create(self, **kwargs):
        sb = self.cordon.create_sandbox(**kwargs)
        self.created.append(sb["id"])
        return sb

    def test_health_needs_no_token(self):
        self.assertTrue(CordonClient(URL, "wrong").health()["ok"])

    def test_wrong_token_is_refused(self):
        with self.assertRaises(CordonError) as ctx:
            CordonClient(URL, "wrong").list()
        self.assertEqual(ctx.exception.status_code, 401)
        self.assertEqual(ctx.exception.code, "CORDON_E_UNAUTHORIZED")

    def test_invalid_policy_names_the_path(self):
        with self.assertRaises(CordonError) as ctx:
            self.cordon.create_sandbox(policy={"network": {"allow": ["*:443"]}})
        self.assertEqual(ctx.exception.status_code, 400)
        self.assertEqual(ctx.exception.code, "CORDON_E_POLICY_INVALID")
        self.assertEqual(ctx.exception.problems[0]["path"], "policy.network.allow.0")

    def test_episode_round_trip(self):
        sb = self.create(labels={"episodeId": "ep-py"}, files={"task.txt": "hello", "blob": b"\x00\x01"})
        self.assertEqual(sb["status"], "running")
        self.assertEqual(sb["episodeId"], "ep-py")
        r = self.cordon.exec(sb["id"], ["cat", "task.txt"], step_id="py-1")
        self.assertEqual((r["exitCode"], r["stdout"], r["stepId"]), (0, "hello", "py-1"))
        r = self.cordon.exec(sb["id"], command="cat; exit 4", stdin="piped")
        self.assertEqual((r["exitCode"], r["stdout"]), (4, "piped"))
        self.cordon.upload(sb["id"], "out/data.bin", b"\xff\x00")
        self.assertEqual(self.cordon.download(sb["id"], "/workspace/out/data.bin"), b"\xff\x00")
        self.assertEqual(self.cordon.download(sb["id"], "blob"), b"\x00\x01")
        self.assertIn(sb["id"], [s["id"] for s in self.cordon.list()])
        self.assertEqual(self.cordon.verdict(sb["id"])["verdict"], "clean")
        ended = self.cordon.destroy(sb["id"])
        self.assertEqual(ended["status"], "destroyed")
        with self.assertRaises(CordonError) as ctx:
            self.cordon.exec(sb["id"], ["true"])
        self.assertEqual(ctx.exception.status_code, 409)

    def test_steps_reuse_one_connection_and_survive_its_loss(self):
        sb = self.create()
        self.cordon.exec(sb["id"], ["true"])
        sock = self.cordon._local.conn.sock
        for _ in range(3):
            self.assertEqual(self.cordon.exec(sb["id"], ["true"])["exitCode"], 0)
        self.assertIs(self.cordon._local.conn.sock, sock, "each step opened a new connection")
        with self.assertRaises(CordonError):  # an error answer keeps the connection too
            self.cordon.get("no-such-sandbox")
        self.assertIs(self.cordon._local.conn.sock, sock)
        sock.shutdown(socket.SHUT_RDWR)  # as when the server drops an idle connection
        self.assertEqual(self.cordon.exec(sb["id"], ["echo", "again"])["stdout"], "again\n")
        self.assertIsNot(self.cordon._local.conn.sock, sock)

    def test_traversal_is_rejected(self):
        sb = self.create()
        for path in ("../x", "/etc/passwd"):
            with self.assertRaises(CordonError) as ctx:
                self.cordon.download(sb["id"], path)
            self.assertEqual(ctx.exception.status_code, 400)

    def test_findings_and_live_events(self):
        sb = self.create(labels={"episodeId": "ep-py-rogue"})
        got, ready = [], threading.Event()

        def follow():
            for event in self.cordon.events(sandbox=sb["id"], kinds=["finding"], include_ready=True, timeout=20):
                if event["kind"] == "ready":
                    ready.set()
                    continue
                got.append(event)
                return

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        self.assertTrue(ready.wait(10), "the event stream never became ready")
        r = self.cordon.exec(sb["id"], command="echo mount", step_id="py-rogue")
        self.assertEqual([f["category"] for f in r["findings"]], ["escape"])
        reader.join(10)
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0]["kind"], got[0]["stepId"]), ("finding", "py-rogue"))
        self.assertEqual(len(self.cordon.findings(episode_id="ep-py-rogue", severity="high")), 1)
        self.assertEqual(self.cordon.verdict(sb["id"])["verdict"], "rogue")


if __name__ == "__main__":
    unittest.main()
