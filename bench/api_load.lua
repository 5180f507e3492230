-- wrk script for bench/api_bench.sh: a paced mix of the query API's read endpoints over the
-- day that fill_store wrote.
--   wrk ... -s bench/api_load.lua URL -- FIRST_MINUTE MINUTES ADS DELAY_MS HOT_ADS_FILE
-- FIRST_MINUTE is yyyyMMddHHmm; each connection waits DELAY_MS between requests (wrk has no
-- rate option), so C connections offer about C * 1000 / DELAY_MS requests per second.
-- Mix: 40 % aggregated_count over a random range (1 minute to a day), 30 % series over a
-- random range (up to the 1440-minute limit), 30 % popular_ads for a stored window (1, 5, 60)
-- and a count up to the stored N. Half the ads are drawn from the 100 hottest of the last hour (HOT_ADS_FILE,
-- one id a line), half uniformly from all ids (mostly cold ads with a few rows).

local first_minute, minutes, ads, delay_ms, width
local hot = {}

-- yyyyMMddHHmm <-> minutes since the epoch, UTC (days_from_civil: Howard Hinnant's algorithm).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end

local function to_epoch_minutes(s)
  local days = days_from_civil(tonumber(s:sub(1, 4)), tonumber(s:sub(5, 6)), tonumber(s:sub(7, 8)))
  return days * 1440 + tonumber(s:sub(9, 10)) * 60 + tonumber(s:sub(11, 12))
end

local function to_text(m)
  return os.date("!%Y%m%d%H%M", m * 60)
end

-- Each thread gets its own seed, so a run is repeatable.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  first_minute = to_epoch_minutes(args[1])
  minutes = tonumber(args[2])
  ads = tonumber(args[3])
  delay_ms = tonumber(args[4])
  width = #tostring(ads - 1)
  for line in io.lines(args[5]) do
    if #line > 0 then hot[#hot + 1] = line end
  end
  math.randomseed(7919 * (thread_id or 1))
end

local function pick_ad()
  if #hot > 0 and math.random() < 0.5 then return hot[math.random(#hot)] end
  return string.format("ad%0" .. width .. "d", math.random(0, ads - 1))
end

local function random_range(max_len)
  local len = math.random(1, max_len)
  local from = first_minute + math.random(0, minutes - 1)
  return to_text(from), to_text(from + len)
end

local windows = {1, 5, 60}

function request()
  local r = math.random()
  local path
  if r < 0.4 then
    local from, to = random_range(1440)
    path = "/v1/ads/" .. pick_ad() .. "/aggregated_count?from=" .. from .. "&to=" .. to
  elseif r < 0.7 then
    local from, to = random_range(1440)
    path = "/v1/ads/" .. pick_ad() .. "/series?from=" .. from .. "&to=" .. to
  else
    path = "/v1/ads/popular_ads?count=" .. math.random(1, 100) .. "&window=" .. windows[math.random(#windows)]
  end
  return wrk.format("GET", path)
end

function delay()
  return delay_ms
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("api_load: status " .. status .. ": " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  io.write(string.format("achieved: %.0f requests/s, non-2xx/3xx: %d, socket errors: %d\n",
    summary.requests / (summary.duration / 1e6), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
