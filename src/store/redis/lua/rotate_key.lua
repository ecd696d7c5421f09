-- Gives a channel that takes webhooks a new key; its current key keeps working for the grace
-- period (its `chkey` entry expires then), a previous key still in its grace is retired.
-- ARGV: prefix, channel, new key, grace (ms, 0: retire the current key at once), now.
local ch, new, grace, now = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local key = k('ch', ch)
local f = redis.call('HMGET', key, 'state', 'webhook_key', 'previous_webhook_key')
if not f[1] then
  return redis.error_reply('NOTFOUND no such channel')
end
if (f[1] ~= 'pending' and f[1] ~= 'approved') or not f[2] then
  return redis.error_reply('STATE ' .. f[1])
end
if f[3] then
  redis.call('DEL', k('chkey', f[3]))
end
redis.call('SET', k('chkey', new), ch)
redis.call('HSET', key, 'webhook_key', new, 'updated_ms', now)
if grace > 0 then
  redis.call('PEXPIRE', k('chkey', f[2]), grace)
  redis.call('HSET', key, 'previous_webhook_key', f[2], 'previous_key_until_ms', now + grace)
else
  redis.call('DEL', k('chkey', f[2]))
  redis.call('HDEL', key, 'previous_webhook_key', 'previous_key_until_ms')
end
return 'ok'
