-- POST create, every name and URL unique; each 201 is durable before it is sent.
dofile(os.getenv("BENCH_SCENARIOS") .. "/common.lua")
wrk.headers["Content-Type"] = "application/json"
local n = 0
-- Unique across runs on the same database too.
local run = os.time()
request = function()
  n = n + 1
  local id = run .. "-" .. (tid or 0) .. "-" .. n
  local body = '{"name":"c' .. id .. '","url":"https://e.example/c' .. id .. '"}'
  return wrk.format("POST", write_links_path(n), nil, body)
end
