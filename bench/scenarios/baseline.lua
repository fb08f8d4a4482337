-- The baseline server's fixed link JSON.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
request = function()
  return wrk.format("GET", "/fixed")
end
