-- wrk script for wrk-load.ts: cycles through the requests listed one per line in the file named by
-- the first script argument, each of the threads (their number is the second argument) from its own
-- evenly spaced offset, so pages meant to be asked once are not asked by two threads; prints one
-- JSON line, prefixed WRK_RESULT, with the totals, errors and latency percentiles (microseconds).
--
-- A line is a path (a GET), or tab-separated: method, path, body (may be empty), then header names
-- and values alternating. The -H headers of the command line are sent with every request.
--
-- With LECTIO_WRK_STATUSES=1 in the environment, every answer's status code is counted and the
-- counts are printed too. Off by default: wrk then hands each body to Lua, which costs the client
-- time it should not spend on megabyte segments; wrk's own summary only tells 2xx/3xx from others.
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("offset", count - 1)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
  return fields
end

function init(args)
  requests = {}
  statuses = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if line ~= "" then
      local f = split(line)
      if #f == 1 then
        requests[#requests + 1] = wrk.format("GET", f[1])
      else
        local headers = {}
        for name, value in pairs(wrk.headers) do headers[name] = value end
        for i = 4, #f - 1, 2 do headers[f[i]] = f[i + 1] end
        local body = f[3] ~= "" and f[3] or nil
        requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
      end
    end
  end
  file:close()
  n = math.floor(tonumber(offset) * #requests / tonumber(args[2] or 1))
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end

if os.getenv("LECTIO_WRK_STATUSES") == "1" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local counted = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counted[status] = (counted[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counted) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"mean":%f,"p50":%d,"p90":%d,"p99":%d,"max":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
