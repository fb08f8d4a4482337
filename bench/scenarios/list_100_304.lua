-- GET the list of 100 links again with If-None-Match naming its ETag (BENCH_ETAG): 304, no body.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
wrk.headers["If-None-Match"] = os.getenv("BENCH_ETAG") or ""
request = function()
  return wrk.format("GET", "/api/v4/projects/1/releases/v-big/assets/links?per_page=100")
end
