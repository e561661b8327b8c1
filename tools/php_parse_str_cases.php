<?php
// Golden table for tests/http/test_phpquery.py: what PHP's own parse_str() makes of each query string.
//
// Regenerate (needs php-cli; CI does not, the tests read the committed JSON):
//     apt-get install -y php-cli
//     php tools/php_parse_str_cases.php > tests/http/php_parse_str_cases.json
//
// Every PHP array is written as a JSON object with string keys in PHP's order (int keys
// normalised to strings). PHP strings are bytes: a byte that is not part of valid UTF-8 is
// written as the lone surrogate \udcXX, which is how Python's "surrogateescape" spells it.
// A case may carry "departure" (one of kommodore's two documented departures from PHP) and
// "ours" (what kommodore.http.phpquery.parse_query returns instead); "php" is always PHP's answer.

error_reporting(E_ALL & ~E_WARNING);  // max_input_vars / nesting warnings are expected

function json_str(string $s): string
{
    $out = '';
    $n = strlen($s);
    for ($i = 0; $i < $n;) {
        for ($len = 1; $len <= 4 && $i + $len <= $n; $len++) {
            $c = substr($s, $i, $len);
            if (preg_match('//u', $c) === 1) {
                $out .= substr(json_encode($c, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), 1, -1);
                $i += $len;
                continue 2;
            }
        }
        $out .= sprintf('\\udc%02x', ord($s[$i]));
        $i += 1;
    }
    return '"' . $out . '"';
}

function json_value(mixed $v): string
{
    if (is_array($v)) {
        $items = [];
        foreach ($v as $k => $item) {
            $items[] = json_str((string) $k) . ': ' . json_value($item);
        }
        return '{' . implode(', ', $items) . '}';
    }
    return json_str((string) $v);
}

$deep64 = 'a=1&a' . str_repeat('[x]', 64) . '=2';
$deep65 = 'b=0&a=1&a' . str_repeat('[x]', 65) . '=2&c=3';
$deep65open = 'a=1&a' . str_repeat('[x]', 64) . '[y=2&c=3';
$many = implode('&', array_map(fn ($i) => "k$i=$i", range(1, 1002)));
$manyEmpty = '=0&a&&b=1&' . implode('&', array_map(fn ($i) => "k$i=$i", range(1, 1000)));

// [query] or [query, departure, ours]
$cases = [
    // brackets, raw and percent-encoded
    ['filter[id][0]=1'],
    ['filter%5Bid%5D%5B0%5D=1'],
    ['filter%5bid%5d%5b0%5d=1'],
    ['filter%5Bid%5d[]=1&filter[id]%5b%5D=2'],
    ['a%5B%5D=1&a%5b%5d=2&a[%5D=3'],
    ['%5Ba%5D=1&order%5Bid%5D=asc&order[updated_at]=desc'],
    // [] appends and explicit indexes
    ['filter[id][]=1&filter[id][]=2'],
    ['filter[id][0]=1&filter[id][1]=2'],
    ['a[5]=x&a[]=y'],
    ['a[]=x&a[5]=y&a[]=z&a[2]=w&a[]=v'],
    ['a[2]=x&a[1]=y&a[]=z&a[0]=w'],
    ['a[]=1&a[]=2&a[0]=3'],
    ['a[]=1&a[0]=2&a[1]=3&a[]=4'],
    ['a[][]=1&a[][]=2'],
    ['a[][x]=1&a[][y]=2'],
    ['a[x][]=1&a[y][]=2&a[x][]=3'],
    ['a[ ]=1&a[  ]=2&a[ x]=3&a[]=4'],
    // negative, non-canonical and out-of-range int keys
    ['a[-1]=x&a[]=y'],
    ['a[-5]=x&a[3]=z&a[]=y'],
    ['a[-5]=x&a[-7]=z&a[]=y'],
    ['a[01]=x&a[]=y&a[1]=z'],
    ['a[-0]=x&a[]=y&a[0]=z'],
    ['a[1.5]=x&a[ 1]=y&a[1 ]=z&a[]=w&a[+2]=v&a[1e2]=u&a[0x1]=t'],
    ['a[9223372036854775807]=x&a[]=y&a[][b]=z'],
    ['a[9223372036854775808]=x&a[]=y'],
    ['a[-9223372036854775808]=x&a[]=y&a[-9223372036854775809]=z'],
    ['a[%D9%A3]=x&a[]=y'],
    ['0=zero&1[2]=x&1[]=y&-3=m&07=n'],
    // Kommo filter shapes
    ['filter[updated_at][from]=1700000000&filter[updated_at][to]=1700086400'],
    ['filter%5Bupdated_at%5D%5Bfrom%5D=1&filter%5Bupdated_at%5D%5Bto%5D=2'],
    ['filter[statuses][0][pipeline_id]=10&filter[statuses][0][status_id]=142&filter[statuses][1][pipeline_id]=11&filter[statuses][1][status_id]=143'],
    ['filter[custom_fields_values][123][]=foo&filter[custom_fields_values][123][]=bar&filter[custom_fields_values][456][from]=1'],
    ['filter[name]=x'],
    ['filter[id]=1,2,3'],
    ['page=2&limit=50&filter[pipeline_id][]=1&filter[pipeline_id][]=2&order[created_at]=desc'],
    ['with=contacts%2Csource'],
    ['with=contacts,source&query=%D0%BC%D0%B0%D1%80%D1%82'],
    // spaces, plus signs, dots in names
    ['filter[name]=Acme+Corp&query=a%20b+c'],
    ['a=+%20+&b=%2B&c=%2b%2B'],
    ['a.b=1&c d=2&a_b.c[d.e f]=3&.x=4'],
    ['a+b=1&a[b+c]=2&c%2Ed=3&x%20y[z]=4'],
    ['%20%20a=1&+b=2& c[ d]=3&   =4&.=5'],
    // unclosed brackets, text after ], odd brackets
    ['a[b=1'],
    ['a[b][c=1'],
    ['a[b.c d[e=1'],
    ['a[ b=1&c[=2&d[ =3'],
    ['a[b]c=1'],
    ['a[b]c[d]=1&e[f][g]h[i]=2'],
    ['a[b[c]=1'],
    ['a]b=1&a]b[c]=2'],
    ['a[b]]=1&c[d]][e]=2'],
    // empty names, keys without =, empty values, stray &
    ['=1&[a]=2&[]=3&=&%20=4&[=5'],
    ['a&b&c[]&d[x]'],
    ['a=&b[]=&c[x]='],
    ['a=1&&b=2&&&'],
    ['&a=1&'],
    [''],
    ['&&&'],
    ['a=b=c&d==e'],
    ['a%3Db=c&d%26e=f%26g'],
    ['?a=1&#b=2&a;b=3'],
    // UTF-8, invalid percent sequences, NUL bytes
    ['name=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82&%E2%82%AC=euro&k[%C3%A9]=1'],
    ['name=Привет&ключ[значение]=1&€=2'],
    ['a=%ZZ&b=%&c=%4&d=%%41&e=%4g&f=100%&g=%e2%82%ac'],
    ['a=%FF%FE&b=%C3&c=%C3%28&d=%ED%A0%80&%FF=x&e=%C0%AF&f=%F4%90%80%80'],
    ['a=%00&b%00c=1&d[e%00f]=2&g[h][i%00]=3'],
    // a scalar then an array for the same name, and back
    ['a=1&a[]=2'],
    ['a[]=1&a=2'],
    ['a[x]=1&a[x][y]=2'],
    ['a[x][y]=1&a[x]=2'],
    ['a=1&a[x][y]=2&b[c]=3&b=4'],
    ['a[x]=1&b=2&a[y]=3'],
    ['a[b][c][d]=1&a[b][e]=2&a[f]=3'],
    // duplicates PHP treats like we do
    ['filter[name]=x&filter[name]=x'],
    ['filter[id]=1&filter%5Bid%5D=1'],
    ['a.b=1&a_b=1'],
    // limits: max_input_nesting_level 64 (the whole variable goes), max_input_vars 1000
    [$deep64],
    [$deep65],
    [$deep65open],
    [$many],
    [$manyEmpty],
    // departure: a scalar key given twice with different values becomes a list
    ['filter[id]=1&filter[id]=2', 'repeated-scalar', ['filter' => ['id' => ['1', '2']]]],
    ['a=1&a=2&a=3', 'repeated-scalar', ['a' => ['1', '2', '3']]],
    ['with=contacts,source&with=contacts%2Ccatalog_elements', 'repeated-scalar',
        ['with' => ['contacts,source', 'contacts,catalog_elements']]],
    ['a.b=1&a_b=2', 'repeated-scalar', ['a_b' => ['1', '2']]],
    ['filter[updated_at][from]=1&filter[updated_at][from]=2&filter[updated_at][to]=3', 'repeated-scalar',
        ['filter' => ['updated_at' => ['from' => ['1', '2'], 'to' => '3']]]],
    ['a=1&a=2&a[]=3', 'repeated-scalar', ['a' => ['1', '2', '3']]],
    ['a=&a=1', 'repeated-scalar', ['a' => ['', '1']]],
    ['a[0]=x&a[0]=y&a[]=z', 'repeated-scalar', ['a' => ['0' => ['x', 'y'], '1' => 'z']]],
    ['a[ 1]=y&a[+1]=v', 'repeated-scalar', ['a' => [' 1' => ['y', 'v']]]],
    // departure: an exact key=value pair repeated counts once
    ['a[]=x&a[]=x', 'duplicate-pair', ['a' => ['x']]],
    ['filter[id][]=1&filter[id][]=2&page=2&filter[id][]=1&filter[id][]=2', 'duplicate-pair',
        ['filter' => ['id' => ['1', '2']], 'page' => '2']],
    ['filter[id]=1&filter[id]=2&page=2&filter[id]=1&filter[id]=2', 'duplicate-pair',
        ['filter' => ['id' => ['1', '2']], 'page' => '2']],
    ['a=1&a=2&a=1', 'duplicate-pair', ['a' => ['1', '2']]],
    ['a[]=1&a%5B%5D=1&a[ ]=1', 'duplicate-pair', ['a' => ['1']]],
    ['a=1&a[x]=2&a=1', 'duplicate-pair', ['a' => ['x' => '2']]],
];

$lines = [];
foreach ($cases as $case) {
    $result = [];
    parse_str($case[0], $result);
    $line = '{"query": ' . json_str($case[0]) . ', "php": ' . json_value($result);
    if (count($case) > 1) {
        $line .= ', "departure": ' . json_str($case[1]) . ', "ours": ' . json_value($case[2]);
    }
    $lines[] = '    ' . $line . '}';
}
echo "{\n";
echo '  "generated_by": "tools/php_parse_str_cases.php",' . "\n";
echo '  "php_version": ' . json_str(PHP_VERSION) . ",\n";
echo '  "max_input_vars": ' . json_str((string) ini_get('max_input_vars')) . ",\n";
echo '  "max_input_nesting_level": ' . json_str((string) ini_get('max_input_nesting_level')) . ",\n";
echo "  \"cases\": [\n" . implode(",\n", $lines) . "\n  ]\n}\n";
