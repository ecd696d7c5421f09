-- Moves lanes from the single `lanes` index of earlier versions into each destination's
-- `ldue:<destination>` (where a lane is there already, that one stands); run at every start,
-- a no-op once `lanes` is gone. ARGV: prefix. Returns how many lanes it moved.
local all = redis.call('ZRANGE', k('lanes'), 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  lane_due(all[i], tonumber(all[i + 1]), 'NX')
end
redis.call('DEL', k('lanes'))
return #all / 2
