-- wrk script: POST a distinct comment by a distinct author each request.
-- wrk -t1 -c64 -d10s -s bench/post.lua http://127.0.0.1:8080/api/articles/bench/comments
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"author":"Reader %d-%d","text":"A typical comment of a sentence or two, about the talks in Berlin (%d)."}', math.random(1e9), n, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("codes: non-2xx %d, errors %d\n", summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
