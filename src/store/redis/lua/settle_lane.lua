-- Ends a worker's hold on a lane: due when its head is, or gone when empty. A worker that lost
-- its lease changes nothing. ARGV: prefix, lane, token.
local lk, token = ARGV[2], ARGV[3]
if redis.call('HGET', k('lease'), lk) ~= token then
  return 0
end
set_lane(lk, nil)
return 1
