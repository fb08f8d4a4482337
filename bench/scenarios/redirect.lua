-- The permanent-link redirect (302 to the link's URL).
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/bench/app1/-/releases/v-big/downloads/bin/file" .. (n % 100))
end
