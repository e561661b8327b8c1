-- wrk script for bench/get_lead.py: GET one random lead per request and count every answer
-- that is not a 200 (wrk itself only flags >= 400, and a 204 "no such lead" would be a cheap
-- answer that flatters the figure).
--
--   wrk -t1 -c64 -d15s --latency -H "Authorization: Bearer $TOKEN" -s bench/random_lead.lua \
--       http://127.0.0.1:8765 -- PATH [IDS_FILE [SEED]]
--
-- PATH may hold "{id}", replaced per request by an id drawn from IDS_FILE (one per line);
-- without IDS_FILE the path is requested as is (the ceiling). done() prints one line
-- "WRK_JSON {...}" with exact figures (latencies in microseconds) for the driver to parse.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
  table.insert(threads, thread)
end

-- Per-thread state; globals so that done() can read them through thread:get().
non200 = 0
first_non200 = 0

local ids, id_count, prefix, suffix, fixed

function init(args)
  local path = args[1] or "/"
  local file = args[2]
  if file == nil then
    fixed = wrk.format("GET", path)
    return
  end
  ids = {}
  for line in io.lines(file) do
    if line ~= "" then
      ids[#ids + 1] = line
    end
  end
  id_count = #ids
  if id_count == 0 then
    error("no lead ids in " .. file)
  end
  local at = path:find("{id}", 1, true)
  if at == nil then
    error("PATH must contain {id} when an ids file is given")
  end
  prefix, suffix = path:sub(1, at - 1), path:sub(at + 4)
  -- A fixed seed per run and thread: the same ids in the same order run after run; the
  -- driver gives the warm-up another seed so it does not pre-load the measured ids.
  math.randomseed(tonumber(args[3] or "1") * 1000 + (thread_no or 1))
end

function request()
  if fixed then
    return fixed
  end
  return wrk.format("GET", prefix .. ids[math.random(id_count)] .. suffix)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_non200 == 0 then
      first_non200 = status
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non200") or 0)
    local f = thread:get("first_non200") or 0
    if first == 0 then
      first = f
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"non200":%d,"first_non200":%d,' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"min":%d,"max":%d,' ..
    '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    bad, first,
    latency.mean, latency.stdev, latency.min, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
