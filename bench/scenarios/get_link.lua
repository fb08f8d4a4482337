-- GET one link of the release with 100 links.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v4/projects/1/releases/v-big/assets/links/" .. (n % 100 + 1))
end
