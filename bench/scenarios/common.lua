-- Shared by every scenario: the token header, and a done() hook that prints the results as
-- one JSON line for bench/harness.py (latency in microseconds, with a percentile curve).
token = os.getenv("BENCH_TOKEN") or ""
wrk.headers["PRIVATE-TOKEN"] = token

function report(summary, latency)
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"socket_errors":%d', e.connect + e.read + e.write + e.timeout),
    string.format('"status_errors":%d', e.status),
  }
  for _, p in ipairs({50, 90, 99, 99.9}) do
    table.insert(parts, string.format('"p%s":%d', tostring(p):gsub("%.", "_"), latency:percentile(p)))
  end
  local curve = {}
  for i = 1, 999 do
    table.insert(curve, string.format("%d", latency:percentile(i / 10)))
  end
  table.insert(parts, '"curve":[' .. table.concat(curve, ",") .. ']')
  io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end

done = function(summary, latency, requests) report(summary, latency) end

-- Each thread numbers its requests so that created names never collide.
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

-- Project 2's releases are v2, v(2+P), v(2+2P), … (releases go to projects in turn): writes
-- spread over them, so that no release nears its links limit.
local projects = tonumber(os.getenv("BENCH_PROJECTS") or "10")
local per_project = tonumber(os.getenv("BENCH_RELEASES_PER_PROJECT") or "1")
function write_links_path(n)
  local r = 2 + projects * (n % math.max(per_project, 1))
  return "/api/v4/projects/2/releases/v" .. r .. "/assets/links"
end
