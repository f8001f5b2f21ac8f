-- wrk script (bench_http.py): every request carries a bearer token the server has not seen
-- lately, so the per-child token cache misses and each request pays for a full verify.
--   wrk -tTHREADS ... -s fresh_tokens.lua URL -- TOKEN_FILE THREADS
-- TOKEN_FILE holds one token a line. Each wrk thread walks its own share of the list from a
-- random place, so two threads never send the same token one after the other.

local started = 0

function setup(thread)
   thread:set("id", started)
   started = started + 1
end

function init(args)
   tokens = {}
   for line in io.lines(args[1]) do
      tokens[#tokens + 1] = line
   end
   math.randomseed(os.time() + id)
   local share = math.floor(#tokens / tonumber(args[2]))
   next_index = id * share + math.random(0, share - 1)
end

function request()
   next_index = next_index % #tokens + 1
   return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[next_index] })
end
