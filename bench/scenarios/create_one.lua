-- POST creates into one release at a time, every name and URL unique (project BENCH_PROJECT).
-- BENCH_TAG: always into that release, which grows (the growing-release scenario).
-- Otherwise into the fresh releases v-fresh1..v-freshBENCH_FRESH_COUNT in turn: every thread
-- moves on after BENCH_FRESH_EVERY creates, all threads together, so that each release
-- receives about threads x BENCH_FRESH_EVERY links and stays small.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
wrk.headers["Content-Type"] = "application/json"
local prefix = "/api/v4/projects/" .. (os.getenv("BENCH_PROJECT") or "2") .. "/releases/"
local tag = os.getenv("BENCH_TAG")
local fresh = tonumber(os.getenv("BENCH_FRESH_COUNT") or "1")
local every = tonumber(os.getenv("BENCH_FRESH_EVERY") or "500")
local n = 0
-- Unique across runs on the same database too.
local run = os.time()
request = function()
  n = n + 1
  local release = tag or ("v-fresh" .. (math.floor((n - 1) / every) % fresh + 1))
  local id = run .. "-" .. (tid or 0) .. "-" .. n
  local body = '{"name":"g' .. id .. '","url":"https://e.example/g' .. id .. '"}'
  return wrk.format("POST", prefix .. release .. "/assets/links", nil, body)
end
