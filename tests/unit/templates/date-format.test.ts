import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strftime, toDate } from '../../../src/templates/date-format.js';

const d = new Date(Date.UTC(2024, 0, 5, 14, 3, 9, 45));

describe('strftime', () => {
  it('formats the C directives in UTC', () => {
    assert.equal(strftime(d, '%Y-%m-%d %H:%M:%S', 'UTC'), '2024-01-05 14:03:09');
    assert.equal(strftime(d, '%a %A %b %B %e %j %y %C %w %u', 'UTC'), 'Fri Friday Jan January  5 005 24 20 5 5');
    assert.equal(strftime(d, '%I:%M %p %P %f %L %z %Z %s %%', 'UTC'), '02:03 PM pm 045000 045 +0000 UTC 1704463389 %');
    assert.equal(strftime(d, '%F %T %R %D %c', 'UTC'), '2024-01-05 14:03:09 14:03 01/05/24 Fri Jan  5 14:03:09 2024');
    assert.equal(strftime(d, '%-d/%-m %-H %_d %^a %Q', 'UTC'), '5/1 14  5 FRI %Q');
  });

  // Expected strings: Python's datetime.strftime on Linux (glibc, C locale).
  it('numbers weeks: %U from Sunday, %W from Monday, ISO %G-W%V-%u across year ends', () => {
    const at = (y: number, m: number, day: number) => new Date(Date.UTC(y, m - 1, day, 12));
    assert.equal(strftime(at(2024, 1, 5), '%U %W %G %g %V %u', 'UTC'), '00 01 2024 24 01 5');
    assert.equal(strftime(at(2021, 1, 3), '%U %W %G %g %V %u', 'UTC'), '01 00 2020 20 53 7');
    assert.equal(strftime(at(2024, 12, 30), '%U %W %G %g %V %u', 'UTC'), '52 53 2025 25 01 1');
    assert.equal(strftime(at(2026, 12, 31), '%U %W %G %g %V %j', 'UTC'), '52 52 2026 26 53 365');
    assert.equal(strftime(at(2010, 1, 3), '%U %W %G-W%V-%u', 'UTC'), '01 00 2009-W53-7');
  });

  it('writes %r, %k and %l, with the padding flags and the E and O modifiers', () => {
    const morning = new Date(Date.UTC(2024, 0, 5, 9, 3, 9));
    assert.equal(strftime(morning, '%r|%k|%l|%-k|%0k|%_H|%-l|%0e|%Ey|%Od', 'UTC'), '09:03:09 AM| 9| 9|9|09| 9|9|05|24|05');
    assert.equal(strftime(d, '%r|%k|%l', 'UTC'), '02:03:09 PM|14| 2');
    assert.equal(strftime(new Date(Date.UTC(2024, 0, 5, 0, 30)), '%r|%k|%l|%I', 'UTC'), '12:30:00 AM| 0|12|12');
  });

  it('converts to IANA time zones, with offsets across DST', () => {
    assert.equal(strftime(d, '%Y-%m-%d %H:%M %z %Z', 'Asia/Tokyo'), '2024-01-05 23:03 +0900 GMT+9');
    const summer = new Date(Date.UTC(2024, 6, 1, 12, 0));
    assert.equal(strftime(summer, '%H:%M %z', 'Europe/Paris'), '14:00 +0200');
    assert.equal(strftime(new Date(Date.UTC(2024, 0, 1, 3, 30)), '%Y-%m-%d %a %H:%M %z', 'America/Los_Angeles'), '2023-12-31 Sun 19:30 -0800');
    assert.equal(strftime(new Date(Date.UTC(2024, 0, 1, 0, 0)), '%H:%M %z', 'Asia/Kolkata'), '05:30 +0530');
  });

  it('uses the process time zone for "local"', () => {
    assert.equal(strftime(d, '%H', 'local'), String(d.getHours()).padStart(2, '0'));
  });
});

describe('toDate', () => {
  it('accepts Dates, milliseconds and ISO strings; refuses the rest', () => {
    assert.equal(toDate(d), d);
    assert.equal(toDate(d.getTime())?.getTime(), d.getTime());
    assert.equal(toDate('2024-01-05T14:03:09.045Z')?.getTime(), d.getTime());
    assert.equal(toDate('nope'), null);
    assert.equal(toDate({}), null);
    assert.equal(toDate(new Date(Number.NaN)), null);
  });
});
