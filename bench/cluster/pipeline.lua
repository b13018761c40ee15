-- wrk script: PIPELINE (default 4) requests per write, HTTP/1.1 pipelining. The server answers
-- them in order as usual; wrk spends fewer system calls per request, so less of the shared
-- CPU goes to load generation.
local depth = tonumber(os.getenv("PIPELINE") or "4")

init = function(args)
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format(nil, "/")
  end
  req = table.concat(batch)
end

request = function()
  return req
end
