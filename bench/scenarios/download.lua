-- GET a hosted file (BENCH_DOWNLOAD_PATH: relinks' generic package path, or the file server
-- baseline's), as CI jobs fetch a release's files.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
local path = os.getenv("BENCH_DOWNLOAD_PATH")
request = function()
  return wrk.format("GET", path)
end
