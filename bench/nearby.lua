-- wrk script: /api/nearby at random points around the five councils' centres.
math.randomseed(42)
local centres = {
  {-0.150, 51.512}, -- Westminster
  {-0.275, 51.558}, -- Brent
  {-2.233, 53.463}, -- Manchester
  {-0.200, 51.903}, -- Stevenage
  {-2.250, 53.010}, -- Newcastle-under-Lyme
}
request = function()
  local c = centres[math.random(#centres)]
  local lon = c[1] + (math.random() - 0.5) * 0.08
  local lat = c[2] + (math.random() - 0.5) * 0.05
  return wrk.format("GET", string.format("/api/nearby?lon=%.5f&lat=%.5f&limit=10", lon, lat))
end
