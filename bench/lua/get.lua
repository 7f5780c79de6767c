-- GET the URL given to wrk; with a tokens file, rotate through the customers' tokens.
-- wrk -s bench/lua/get.lua URL -- [tokens.txt]
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local tokens, i = nil, 0

function init(args)
  if args[1] then tokens = read_lines(args[1]) end
end

function request()
  if tokens then
    i = i + 1
    wrk.headers["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1]
  end
  return wrk.format("GET")
end
