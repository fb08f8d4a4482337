-- PUT: rename links of the release with 100 links back and forth.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local link = ((tid or 0) * 37 + n) % 100 + 1
  local body = '{"name":"file' .. (link - 1) .. (n % 2 == 0 and "" or "-renamed") .. '"}'
  return wrk.format("PUT", "/api/v4/projects/1/releases/v-big/assets/links/" .. link, nil, body)
end
