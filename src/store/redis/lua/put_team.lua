-- Writes a team and its members, like put_agent.lua (empty expected version: create; RETRY
-- when the version moved). Every member must be an agent (UNKNOWN_AGENT otherwise); each agent's
-- set of teams follows.
-- ARGV: prefix, id, expected version (or ''), record (JSON), order, then the member ids.
local id, expected, record, order = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = k('tm', id)
local version, refused = version_guard(key, expected, 'team')
if refused then
  return refused
end
for i = 6, #ARGV do
  if redis.call('EXISTS', k('agt', ARGV[i])) == 0 then
    return redis.error_reply('UNKNOWN_AGENT ' .. ARGV[i])
  end
end
for _, m in ipairs(redis.call('LRANGE', k('tmm', id), 0, -1)) do
  redis.call('SREM', k('agttm', m), id)
end
redis.call('DEL', k('tmm', id))
for i = 6, #ARGV do
  redis.call('RPUSH', k('tmm', id), ARGV[i])
  redis.call('SADD', k('agttm', ARGV[i]), id)
end
redis.call('HSET', key, 'record', record, 'version', tostring((tonumber(version) or 0) + 1))
if expected == '' then
  redis.call('ZADD', k('teams'), order, id)
end
return 'ok'
