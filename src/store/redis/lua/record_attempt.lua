-- Records one delivery attempt by the lane's current lease holder, then sets the lane.
-- ARGV: prefix, lane, token, delivery, status, queued, next attempt, status code, error, now,
-- delivered at, hold until, disable reason. Returns when the lane's head is due, or nil.
local lk, token, id, status, queued = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local next_ms, code, err, now = ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local delivered, hold, disable = ARGV[11], ARGV[12], ARGV[13]
if redis.call('HGET', k('lease'), lk) ~= token then
  return redis.error_reply('STALE the lane was leased to another worker')
end
local key = k('dl', id)
if redis.call('EXISTS', key) == 0 then
  return redis.error_reply('NOTFOUND no such delivery')
end
redis.call('HINCRBY', key, 'attempts', 1)
redis.call('HSET', key, 'status', status, 'queued', queued, 'updated_ms', now)
set_or_clear(key, 'next_attempt_ms', next_ms)
set_or_clear(key, 'last_status_code', code)
set_or_clear(key, 'last_error', err)
set_or_clear(key, 'delivered_ms', delivered)
if queued == '0' then
  redis.call('ZREM', k('lq', lk), id)
  redis.call('SREM', k('dls', 'queued'), id)
  if status == 'dead' then
    redis.call('SADD', k('dls', 'dead'), id)
  end
end
if disable ~= '' then
  local dkey = k('dst', dest_of(lk))
  if redis.call('EXISTS', dkey) == 1 then
    if redis.call('HGET', dkey, 'enabled') == '1' then
      redis.call('HSET', dkey, 'disabled_ms', now)
    end
    redis.call('HSET', dkey, 'enabled', '0', 'disabled_reason', disable, 'updated_ms', now)
  end
end
local hold_ms = nil
if hold ~= '' then
  hold_ms = tonumber(hold)
end
return set_lane(lk, hold_ms)
