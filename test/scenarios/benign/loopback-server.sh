#!/bin/sh
# expect: clean
# why: a background server on loopback, polled until up, queried, then stopped
/usr/bin/python3 -m http.server 8000 --bind 127.0.0.1 > /dev/null 2>&1 &
server=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
  curl -s -o /dev/null http://127.0.0.1:8000/ && break
  sleep 0.3
done
curl -s http://127.0.0.1:8000/ > /dev/null
kill $server
