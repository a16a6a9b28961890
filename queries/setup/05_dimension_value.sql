-- Scalar macro: the value of one breakdown dimension for a fact row, so one query can group by
-- whichever dimension the user picks (bound as text, never written into the SQL).
-- dimension: time (grain year, quarter or phase), phase, region, country, theme, grant_type, cadre,
-- gender, training_type, location, profession, or slot (which of two compared periods A/B a row is in);
-- anything else (e.g. '' for "no split") gives NULL.
create macro dimension_value(dimension, grain, period, phase, region, country, theme, grant_type,
                             cadre, gender, training_type, location, profession,
                             a_from, a_to, b_from, b_to) as
case dimension
    when 'time' then (case grain
        when 'quarter' then cast(year(period) as varchar) || 'Q' || cast(quarter(period) as varchar)
        when 'phase' then phase
        else cast(year(period) as varchar) end)
    when 'phase' then phase
    when 'region' then region
    when 'country' then country
    when 'theme' then theme
    when 'grant_type' then grant_type
    when 'cadre' then cadre
    when 'gender' then gender
    when 'training_type' then training_type
    when 'location' then location
    when 'profession' then profession
    when 'slot' then (case
        when period between a_from and a_to then 'A'
        when period between b_from and b_to then 'B' end)
end
