-- GET a release with its 100 links.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
request = function()
  return wrk.format("GET", "/api/v4/projects/1/releases/v-big")
end
