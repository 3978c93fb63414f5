-- ARGV[4] resource, or '' for every live lock of the scope (read only)
local out = {}
local resources
if ARGV[4] ~= '' then
  resources = {ARGV[4]}
else
  resources = redis.call('ZRANGEBYSCORE', deadlines, '(' .. now, '+inf')
  table.sort(resources)
end
for _, resource in ipairs(resources) do
  local lock = load(resource)
  if lock and lock.e > now then table.insert(out, lock) end
end
return cjson.encode(out)
