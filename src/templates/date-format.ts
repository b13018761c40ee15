const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface Fields {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms: number;
  readonly weekday: number; // 0 = Sunday
  /** Minutes east of UTC. */
  readonly offset: number;
  readonly zone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      timeZoneName: 'short',
    });
    if (formatters.size > 64) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

function fields(date: Date, timeZone: string): Fields {
  if (timeZone === 'UTC') {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
      ms: date.getUTCMilliseconds(),
      weekday: date.getUTCDay(),
      offset: 0,
      zone: 'UTC',
    };
  }
  if (timeZone === 'local') {
    return {
      year: date.getFullYear(),
      month: date.getMonth() + 1,
      day: date.getDate(),
      hour: date.getHours(),
      minute: date.getMinutes(),
      second: date.getSeconds(),
      ms: date.getMilliseconds(),
      weekday: date.getDay(),
      offset: -date.getTimezoneOffset(),
      zone: '',
    };
  }
  const parts: Record<string, string> = {};
  for (const p of zoneFormatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  const second = Number(parts.second);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offset = Math.round((asUtc - (date.getTime() - date.getUTCMilliseconds())) / 60000);
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    ms: date.getUTCMilliseconds(),
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    offset,
    zone: parts.timeZoneName ?? timeZone,
  };
}

function pad(n: number, width: number, fill: string): string {
  return String(n).padStart(width, fill);
}

function dayOfYear(f: Fields): number {
  return Math.round((Date.UTC(f.year, f.month - 1, f.day) - Date.UTC(f.year, 0, 1)) / 86_400_000) + 1;
}

/** The week of the year (`%U` from Sunday, `%W` from Monday): days before the year's first such day are week 0. */
function weekOfYear(f: Fields, firstDay: 0 | 1): number {
  const weekday = (f.weekday - firstDay + 7) % 7;
  return Math.floor((dayOfYear(f) - 1 + 7 - weekday) / 7);
}

/** The ISO 8601 week-numbering year and week (`%G`, `%V`): weeks start on Monday, week 1 holds the year's first Thursday. */
function isoWeek(f: Fields): [year: number, week: number] {
  const isoWeekday = f.weekday === 0 ? 7 : f.weekday;
  // The Thursday of this week decides its year.
  const thursday = new Date(Date.UTC(f.year, f.month - 1, f.day + 4 - isoWeekday));
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1;
  return [year, week];
}

/** The date of a value: a `Date`, milliseconds since the epoch, or a string `Date` parses (ISO 8601). */
export function toDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number' || typeof value === 'string') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/**
 * Formats a date with C `strftime` directives as glibc writes them in the C locale (Python's
 * `strftime` on Linux): `%Y-%m-%d %H:%M:%S`, `%a %b %e`, `%I:%M %p`, `%r`, `%k`, `%l`, `%z`, `%Z`,
 * `%j`, weeks (`%U`, `%W`, ISO `%G-W%V-%u`), `%f` (microseconds), `%%`; the flags `-` (no padding),
 * `_` (spaces), `0` (zeros) and `^` (upper case), and the `E`/`O` modifiers (no-ops in the C locale).
 * `timeZone` is `UTC`, `local` or an IANA name such as `Europe/Paris`.
 *
 * @example
 * strftime(new Date(Date.UTC(2024, 0, 5, 14, 3)), '%a %d %b %Y, %H:%M', 'UTC') // 'Fri 05 Jan 2024, 14:03'
 */
export function strftime(date: Date, format: string, timeZone: string): string {
  const f = fields(date, timeZone);
  return format.replace(/%([-_0^#]?)[EO]?([a-zA-Z%])/g, (m, flag: string, d: string) => {
    // `fill` is the directive's own padding (`%e`, `%k`, `%l` pad with spaces); flags override it.
    const num = (n: number, width: number, fill = '0') =>
      flag === '-' ? String(n) : pad(n, width, flag === '_' ? ' ' : flag === '0' ? '0' : fill);
    let s: string;
    switch (d) {
      case 'Y':
        s = String(f.year);
        break;
      case 'y':
        s = num(f.year % 100, 2);
        break;
      case 'C':
        s = num(Math.floor(f.year / 100), 2);
        break;
      case 'm':
        s = num(f.month, 2);
        break;
      case 'd':
        s = num(f.day, 2);
        break;
      case 'e':
        s = num(f.day, 2, ' ');
        break;
      case 'H':
        s = num(f.hour, 2);
        break;
      case 'I':
        s = num(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case 'k':
        s = num(f.hour, 2, ' ');
        break;
      case 'l':
        s = num(f.hour % 12 === 0 ? 12 : f.hour % 12, 2, ' ');
        break;
      case 'r':
        s = `${pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2, '0')}:${pad(f.minute, 2, '0')}:${pad(f.second, 2, '0')} ${f.hour < 12 ? 'AM' : 'PM'}`;
        break;
      case 'M':
        s = num(f.minute, 2);
        break;
      case 'S':
        s = num(f.second, 2);
        break;
      case 'f':
        s = pad(f.ms * 1000, 6, '0');
        break;
      case 'L':
        s = pad(f.ms, 3, '0');
        break;
      case 'p':
        s = f.hour < 12 ? 'AM' : 'PM';
        break;
      case 'P':
        s = f.hour < 12 ? 'am' : 'pm';
        break;
      case 'a':
        s = (DAYS[f.weekday] as string).slice(0, 3);
        break;
      case 'A':
        s = DAYS[f.weekday] as string;
        break;
      case 'b':
      case 'h':
        s = (MONTHS[f.month - 1] as string).slice(0, 3);
        break;
      case 'B':
        s = MONTHS[f.month - 1] as string;
        break;
      case 'j':
        s = num(dayOfYear(f), 3);
        break;
      case 'w':
        s = String(f.weekday);
        break;
      case 'u':
        s = String(f.weekday === 0 ? 7 : f.weekday);
        break;
      case 'U':
        s = num(weekOfYear(f, 0), 2);
        break;
      case 'W':
        s = num(weekOfYear(f, 1), 2);
        break;
      case 'G':
        s = String(isoWeek(f)[0]);
        break;
      case 'g':
        s = num(isoWeek(f)[0] % 100, 2);
        break;
      case 'V':
        s = num(isoWeek(f)[1], 2);
        break;
      case 'z': {
        const sign = f.offset < 0 ? '-' : '+';
        const a = Math.abs(f.offset);
        s = `${sign}${pad(Math.floor(a / 60), 2, '0')}${pad(a % 60, 2, '0')}`;
        break;
      }
      case 'Z':
        s = f.zone;
        break;
      case 's':
        s = String(Math.floor(date.getTime() / 1000));
        break;
      case 'F':
        s = `${f.year}-${pad(f.month, 2, '0')}-${pad(f.day, 2, '0')}`;
        break;
      case 'T':
        s = `${pad(f.hour, 2, '0')}:${pad(f.minute, 2, '0')}:${pad(f.second, 2, '0')}`;
        break;
      case 'R':
        s = `${pad(f.hour, 2, '0')}:${pad(f.minute, 2, '0')}`;
        break;
      case 'D':
      case 'x':
        s = `${pad(f.month, 2, '0')}/${pad(f.day, 2, '0')}/${pad(f.year % 100, 2, '0')}`;
        break;
      case 'X':
        s = `${pad(f.hour, 2, '0')}:${pad(f.minute, 2, '0')}:${pad(f.second, 2, '0')}`;
        break;
      case 'c':
        s = `${(DAYS[f.weekday] as string).slice(0, 3)} ${(MONTHS[f.month - 1] as string).slice(0, 3)} ${pad(f.day, 2, ' ')} ${pad(f.hour, 2, '0')}:${pad(f.minute, 2, '0')}:${pad(f.second, 2, '0')} ${f.year}`;
        break;
      case 'n':
        s = '\n';
        break;
      case 't':
        s = '\t';
        break;
      case '%':
        s = '%';
        break;
      default:
        return m;
    }
    return flag === '^' ? s.toUpperCase() : s;
  });
}
