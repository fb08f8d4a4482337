-- 90% reads of one link, 10% creates.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
local n = 0
-- Unique across runs on the same database too.
local run = os.time()
request = function()
  n = n + 1
  if n % 10 == 0 then
    local id = "m" .. run .. "-" .. (tid or 0) .. "-" .. n
    local headers = { ["Content-Type"] = "application/json", ["PRIVATE-TOKEN"] = token }
    return wrk.format("POST", write_links_path(n), headers,
      '{"name":"' .. id .. '","url":"https://e.example/' .. id .. '"}')
  end
  return wrk.format("GET", "/api/v4/projects/1/releases/v-big/assets/links/" .. (n % 100 + 1))
end
