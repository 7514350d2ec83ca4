-- wrk script: POSTs pre-encrypted WhatsApp Flows requests to /flow, cycling through them.
-- The body file has one `signature<TAB>body` line per request (see load-bodies, README.md here).
--   wrk -t2 -c16 -d20s -s flows.lua http://127.0.0.1:3000/flow -- bodies.tsv

local signatures, bodies = {}, {}
local next_index = 1

function init(args)
  local path = args[1] or "bodies.tsv"
  for line in io.lines(path) do
    local signature, body = line:match("^(%S+)\t(.+)$")
    if body then
      signatures[#signatures + 1] = signature
      bodies[#bodies + 1] = body
    end
  end
  assert(#bodies > 0, "no requests in " .. path)
  -- Each wrk thread starts at a different offset.
  next_index = (wrk.thread:get("id") or 0) * 997 % #bodies + 1
end

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("id", thread_count - 1)
end

function request()
  local i = next_index
  next_index = next_index % #bodies + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = signatures[i],
  }, bodies[i])
end

function done(summary, latency, requests)
  io.write(string.format(
    "requests %d, errors: connect %d read %d write %d timeout %d status %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
