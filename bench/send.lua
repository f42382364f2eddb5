-- wrk script: POST the native send with a bearer key; numbers vary per request.
local key = os.getenv("BENCH_KEY") or "none"
local project = os.getenv("BENCH_PROJECT") or "prj_x"
local n = 0
request = function()
  n = n + 1
  local to = string.format("+1555%07d", n % 10000000)
  local body = '{"to":"' .. to .. '","body":"Your code is 123456"}'
  return wrk.format("POST", "/v1/projects/" .. project .. "/sms/send",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
