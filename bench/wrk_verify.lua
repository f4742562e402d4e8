-- wrk script for the service figure (bench/fig_service.py): POST /credentials/verify with the request
-- bodies of a JSON-lines file, round-robin, each request pre-formatted once.
--
--   BODIES=bodies.jsonl wrk -t1 -c8 -d3s -s bench/wrk_verify.lua http://127.0.0.1:PORT/credentials/verify
--
-- A request counts as good only when the answer is 200 with "verified":true (the service answers
-- compact JSON). One request in RECONNECT_EVERY asks the server to close its connection afterwards,
-- as HTTP clients and proxies do after a number of requests (nginx's keepalive_requests): wrk then
-- reconnects, and the new connection may go to another server process, which keeps the load spread
-- over the workers. done() prints one JSON line that fig_service.py reads.

local bodies_file = os.getenv("BODIES")
local reconnect_every = tonumber(os.getenv("RECONNECT_EVERY") or "100")
local requests = {}
local closing = {}
local count = 0
local index = 0
local sent = 0
-- globals, not locals: done() reads them from each thread's Lua state with thread:get(name), which sees
-- only globals (as locals they read as nil, and every bad answer would have counted as good)
bad = 0
unverified = 0
first_error = nil
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = wrk.path
  for line in io.lines(bodies_file) do
    if #line > 0 then
      local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
      table.insert(requests, wrk.format("POST", path, headers, line))
      headers["Connection"] = "close"
      table.insert(closing, wrk.format("POST", path, headers, line))
      count = count + 1
    end
  end
  if count == 0 then
    error("no request bodies in " .. tostring(bodies_file))
  end
end

function request()
  index = index % count + 1
  sent = sent + 1
  if reconnect_every > 0 and sent % reconnect_every == 0 then
    return closing[index]
  end
  return requests[index]
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if first_error == nil then
      first_error = "HTTP " .. status .. ": " .. string.sub(body or "", 1, 200)
    end
  elseif not string.find(body or "", '"verified":true', 1, true) then
    unverified = unverified + 1
    if first_error == nil then
      first_error = "answered 200 without verified: true"
    end
  end
end

local function json_string(value)
  if value == nil then
    return "null"
  end
  return '"' .. string.gsub(value, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests_)
  local bad_total = 0
  local first = nil
  for _, thread in ipairs(threads) do
    bad_total = bad_total + (thread:get("bad") or 0) + (thread:get("unverified") or 0)
    first = first or thread:get("first_error")
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  if first == nil and socket_errors > 0 then
    first = "socket errors: connect " .. errors.connect .. ", read " .. errors.read .. ", write " ..
      errors.write .. ", timeout " .. errors.timeout
  end
  io.write(string.format(
    '{"client": "wrk", "requests": %d, "bad": %d, "first_error": %s, "elapsed_s": %.3f, "rate_per_s": %.2f, ' ..
    '"median_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "socket_errors": %d}\n',
    summary.requests, bad_total + socket_errors, json_string(first), summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, socket_errors))
end
