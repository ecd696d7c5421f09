-- Deletes an agent, its external id, and its place in every team.
-- ARGV: prefix, id.
local id = ARGV[2]
local key = k('agt', id)
if redis.call('EXISTS', key) == 0 then
  return redis.error_reply('NOTFOUND no such agent')
end
local ext = redis.call('HGET', key, 'ext')
if ext then
  redis.call('DEL', k('agtext', ext))
end
for _, team in ipairs(redis.call('SMEMBERS', k('agttm', id))) do
  redis.call('LREM', k('tmm', team), 0, id)
end
redis.call('DEL', key, k('agttm', id))
redis.call('ZREM', k('agents'), id)
return 'ok'
