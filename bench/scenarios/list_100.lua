-- GET a list of 100 links (per_page=100).
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
request = function()
  return wrk.format("GET", "/api/v4/projects/1/releases/v-big/assets/links?per_page=100")
end
