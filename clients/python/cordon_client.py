"""Python client for the cordon HTTP API (``cordon serve``), standard library only.

RL trainers call it from their rollout workers::

    from cordon_client import CordonClient
    cordon = CordonClient("http://127.0.0.1:7777", token)
    sb = cordon.create_sandbox(labels={"episodeId": "ep-12"}, files={"task.py": "print(1)"})
    result = cordon.exec(sb["id"], command="python3 task.py", step_id="step-1")
    verdict = cordon.verdict(sb["id"])["verdict"]   # clean | suspicious | rogue
    cordon.destroy(sb["id"])

Errors raise ``CordonError`` carrying the server's ``status_code``, ``code`` and ``problems``.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import urllib.parse
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

__all__ = ["CordonClient", "CordonError", "read_sse"]


class CordonError(Exception):
    """An API error: ``code`` is one of cordon's stable ``CORDON_E_*`` codes."""

    def __init__(self, status_code: int, code: str, message: str, problems: Optional[list] = None):
        super().__init__(f"{code}: {message}")
        self.status_code = status_code
        self.code = code
        self.message = message
        self.problems = problems or []


def read_sse(stream) -> Iterator[Dict[str, str]]:
    """Yields ``{"event", "data", "id"}`` frames from a binary line stream of server-sent events."""
    event, data, ident = "message", [], None
    for raw in stream:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data or event != "message":
                yield {"event": event, "data": "\n".join(data), "id": ident}
            event, data, ident = "message", [], None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
        elif field == "id":
            ident = value


FileContent = Union[str, bytes]


class CordonClient:
    """A thin, typed-by-docstring client. Every method returns the decoded JSON body."""

    def __init__(self, url: str, token: str, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path
        # One kept-alive connection per thread: an RL trainer's step loop pays no new handshake.
        self._local = threading.local()

    # -- plumbing -----------------------------------------------------------------------------

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._netloc, timeout=timeout)

    def _send(self, conn: http.client.HTTPConnection, method: str, path: str, *, json_body: Any = None,
              data: Optional[bytes] = None, query: Optional[Mapping[str, Any]] = None
              ) -> http.client.HTTPResponse:
        target = self._prefix + path
        if query:
            q = {k: str(v) for k, v in query.items() if v is not None}
            if q:
                target += "?" + urllib.parse.urlencode(q)
        headers = {"Authorization": f"Bearer {self.token}"}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = data
            headers["Content-Type"] = "application/octet-stream"
        conn.request(method, target, body=body, headers=headers)
        res = conn.getresponse()
        if res.status >= 400:
            raw = res.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {}
            raise CordonError(res.status, payload.get("code", "CORDON_E_INTERNAL"),
                              payload.get("message", raw.decode("utf-8", "replace")),
                              payload.get("problems"))
        return res

    def _request(self, method: str, path: str, **kwargs) -> bytes:
        """Sends on this thread's kept-alive connection and returns the whole body."""
        conn = getattr(self._local, "conn", None)
        reused = conn is not None
        if conn is None:
            conn = self._local.conn = self._connect(self.timeout)
        try:
            return self._send(conn, method, path, **kwargs).read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            self._local.conn = None
            # The server closed an idle connection before reading the request: nothing ran, so
            # sending it once more on a new connection is safe. A fresh connection failing is real.
            if not reused:
                raise
            return self._request(method, path, **kwargs)
        except CordonError:
            raise  # an answer, read to the end: the connection stays usable
        except BaseException:
            conn.close()
            self._local.conn = None
            raise

    def _json(self, method: str, path: str, **kwargs) -> Any:
        return json.loads(self._request(method, path, **kwargs))

    @staticmethod
    def _sid(sandbox_id: str) -> str:
        return urllib.parse.quote(sandbox_id, safe="")

    # -- API ----------------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        return self._json("GET", "/v1/health")

    def create_sandbox(self, *, policy: Optional[Mapping[str, Any]] = None,
                       files: Optional[Mapping[str, FileContent]] = None,
                       labels: Optional[Mapping[str, str]] = None,
                       ttl_ms: Optional[int] = None) -> Dict[str, Any]:
        """Creates a live sandbox. ``files`` maps workspace paths to str (UTF-8) or bytes."""
        body: Dict[str, Any] = {}
        if policy is not None:
            body["policy"] = dict(policy)
        if files:
            body["files"] = {
                p: ({"base64": base64.b64encode(c).decode("ascii")} if isinstance(c, bytes) else c)
                for p, c in files.items()
            }
        if labels:
            body["labels"] = dict(labels)
        if ttl_ms is not None:
            body["ttlMs"] = ttl_ms
        return self._json("POST", "/v1/sandboxes", json_body=body)

    def exec(self, sandbox_id: str, argv: Optional[Sequence[str]] = None, *, command: Optional[str] = None,
             stdin: Optional[str] = None, step_id: Optional[str] = None, timeout_ms: Optional[int] = None,
             env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None) -> Dict[str, Any]:
        """Runs one step (argv, or ``command`` through ``sh -c``). The result lists its findings."""
        body: Dict[str, Any] = {}
        if argv is not None:
            body["argv"] = list(argv)
        if command is not None:
            body["command"] = command
        for key, value in (("stdin", stdin), ("stepId", step_id), ("timeoutMs", timeout_ms), ("cwd", cwd)):
            if value is not None:
                body[key] = value
        if env is not None:
            body["env"] = dict(env)
        return self._json("POST", f"/v1/sandboxes/{self._sid(sandbox_id)}/exec", json_body=body)

    def upload(self, sandbox_id: str, path: str, content: FileContent) -> Dict[str, Any]:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return self._json("PUT", f"/v1/sandboxes/{self._sid(sandbox_id)}/files", data=data, query={"path": path})

    def download(self, sandbox_id: str, path: str) -> bytes:
        return self._request("GET", f"/v1/sandboxes/{self._sid(sandbox_id)}/files", query={"path": path})

    def list(self) -> List[Dict[str, Any]]:
        return self._json("GET", "/v1/sandboxes")["sandboxes"]

    def get(self, sandbox_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/v1/sandboxes/{self._sid(sandbox_id)}")

    def verdict(self, sandbox_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/v1/sandboxes/{self._sid(sandbox_id)}/verdict")

    def findings(self, *, sandbox_id: Optional[str] = None, episode_id: Optional[str] = None,
                 category: Optional[str] = None, severity: Optional[str] = None,
                 limit: Optional[int] = None) -> List[Dict[str, Any]]:
        query = {"sandboxId": sandbox_id, "episodeId": episode_id, "category": category,
                 "severity": severity, "limit": limit}
        return self._json("GET", "/v1/findings", query=query)["findings"]

    def destroy(self, sandbox_id: str) -> Dict[str, Any]:
        return self._json("DELETE", f"/v1/sandboxes/{self._sid(sandbox_id)}")

    # -- episodes (docs/episodes.md) ---------------------------------------------------------

    def start_episode(self, task: Union[str, Mapping[str, Any]], *, agent: str = "external",
                      episode_id: Optional[str] = None,
                      labels: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
        """Starts an episode on a task id (or an inline task document). With ``agent="external"``
        the caller drives it: the answer carries ``episodeId`` and the first ``observation``."""
        body: Dict[str, Any] = {"task": task if isinstance(task, str) else dict(task), "agent": agent}
        if episode_id is not None:
            body["episodeId"] = episode_id
        if labels:
            body["labels"] = dict(labels)
        return self._json("POST", "/v1/episodes", json_body=body)

    def step(self, episode_id: str, tool: str, **args: Any) -> Dict[str, Any]:
        """One tool call (bash, read_file, write_file, list_dir, done) -> ``{observation, findings}``."""
        return self._json("POST", f"/v1/episodes/{self._sid(episode_id)}/steps",
                          json_body={"tool": tool, "args": args})

    def finish_episode(self, episode_id: str) -> Dict[str, Any]:
        """Grades the episode -> ``{score, verdict, tampered, reward, findings}``."""
        return self._json("POST", f"/v1/episodes/{self._sid(episode_id)}/finish", json_body={})

    def get_episode(self, episode_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/v1/episodes/{self._sid(episode_id)}")

    def events(self, *, sandbox: Optional[str] = None, episode: Optional[str] = None,
               kinds: Optional[Sequence[str]] = None, min_severity: Optional[str] = None,
               after_seq: Optional[int] = None, timeout: Optional[float] = None,
               include_ready: bool = False) -> Iterator[Dict[str, Any]]:
        """Yields events as dicts (replayed ones carry ``seq``) until the caller stops iterating.

        With ``include_ready`` a ``{"kind": "ready"}`` marker is yielded once the server follows
        live events, so a caller can start work knowing nothing will be missed.
        """
        query = {"sandbox": sandbox, "episode": episode, "kind": ",".join(kinds) if kinds else None,
                 "minSeverity": min_severity, "afterSeq": after_seq}
        conn = self._connect(timeout or self.timeout)  # its own: the stream holds it open
        try:
            res = self._send(conn, "GET", "/v1/events", query=query)
            for frame in read_sse(res):
                if frame["event"] == "ready":
                    if include_ready:
                        yield {"kind": "ready"}
                elif frame["event"] == "message":
                    yield json.loads(frame["data"])
        finally:
            conn.close()
