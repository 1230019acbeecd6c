#!/usr/bin/perl
# tests/testbed/dkim_verify.pl — verifies every DKIM-Signature of mail files with Perl's
# Mail::DKIM::Verifier (Debian 12: libmail-dkim-perl 1.20230212, Net::DNS, CryptX), asking one
# DNS server only for the keys: the loopback test rig's dnsmasq unless told otherwise.
#
#   perl tests/testbed/dkim_verify.pl [--dns ADDR[:PORT]] [--record NAME=TXT ...]
#                                     [--expect-fail] FILE...
#
#   --dns ADDR[:PORT]  the DNS server asked for key records (default 127.0.0.1:5353, rig.sh's
#                      dnsmasq; port 53 when left out; an IPv6 address goes in brackets). The
#                      servers of /etc/resolv.conf are never asked.
#   --record NAME=TXT  answer the TXT query for NAME (e.g. sel._domainkey.example.test) with TXT
#                      instead of asking DNS: for keys that are not published. Repeatable.
#   --expect-fail      succeed only when every file is signed and every signature fails
#
# One line per signature, in header order (the first DKIM-Signature first):
#
#   FILE: pass d=<domain> s=<selector> a=<algorithm>
#   FILE: fail d=<domain> s=<selector> (<Mail::DKIM result>: <detail>)
#   FILE: none                         no DKIM-Signature at all
#
# Exit 0 when every file has at least one signature and all of them pass (--expect-fail: all
# of them fail); 1 otherwise; 2 on a usage error or a FILE that cannot be read. A bare LF is
# read as CRLF (Mail::DKIM wants SMTP line ends; python3-dkim does the same).
#
# The same program as tests/testbed/dkim_verify.py, on an independent implementation: Mail::DKIM
# canonicalises and hashes on its own, RSA goes through Crypt::OpenSSL::RSA, Ed25519 through
# CryptX (libtomcrypt) instead of libsodium.
#
# ed25519-sha256 (RFC 8463): Mail::DKIM 1.20230212 knows RSA only (upstream added Ed25519 in
# 2024). The block "Ed25519 for Mail::DKIM 1.20230212" below teaches it: the algorithm name, a
# k=ed25519 key record (raw 32-byte p=) and the signature check with Crypt::PK::Ed25519. The
# canonicalisation, header selection and body hash stay Mail::DKIM's own.
use strict;
use warnings;

use Getopt::Long qw(GetOptions);
use MIME::Base64 qw(decode_base64);
use Net::DNS;
use Mail::DKIM::DNS;
use Mail::DKIM::Verifier;
use Crypt::PK::Ed25519;

my $DEFAULT_DNS = '127.0.0.1:5353';

# ---------------------------------------------------------------- DNS: one server, overrides
{
    # Net::DNS::Resolver answering the names given with --record itself; Mail::DKIM::DNS::query
    # calls send(NAME, 'TXT') and reads the reply's rcode and answer section.
    package MvsmtpDKIM::Resolver;
    use parent -norequire, 'Net::DNS::Resolver';
    our %RECORDS;    # lower-case name without the final dot => TXT value

    sub send {
        my ( $self, $name, $type ) = @_;
        ( my $key = lc $name ) =~ s/\.$//;
        my $txt = $RECORDS{$key};
        return $self->SUPER::send( $name, $type )
          unless defined $txt && uc( $type // '' ) eq 'TXT';
        # at most 255 octets a string (RFC 1035 3.3.14); the verifier joins them again
        my @strings = length $txt ? unpack( '(a250)*', $txt ) : ('');
        my $reply   = Net::DNS::Packet->new( $name, 'TXT' );
        $reply->header->qr(1);
        $reply->push( answer => Net::DNS::RR->new( owner => $name, type => 'TXT',
                                                   txtdata => \@strings ) );
        return $reply;
    }
}

# ---------------------------------------------------------------- Ed25519 for Mail::DKIM 1.20230212
{
    # what PublicKey->cork holds for a k=ed25519 record
    package MvsmtpDKIM::Ed25519Key;

    sub new {
        my ( $class, $raw ) = @_;
        return bless { pk => Crypt::PK::Ed25519->new->import_key_raw( $raw, 'public' ) }, $class;
    }
    # in octets, like Crypt::OpenSSL::RSA's: the Verifier computes the key's bits as size * 8
    sub size { return 32 }
    sub verify { my ( $self, $data, $sig ) = @_; return $self->{pk}->verify_message( $sig, $data ) }
}
{
    # RFC 8463 section 3: the SHA-256 hash of the canonicalised headers, exactly as for
    # rsa-sha256 (so rsa_sha256's digests are reused), is signed with PureEdDSA Ed25519
    package MvsmtpDKIM::ed25519_sha256;
    use parent -norequire, 'Mail::DKIM::Algorithm::rsa_sha256';

    sub verify {
        my $self = shift;
        my $key  = $self->signature->get_public_key->cork;
        if ( ref $key ne 'MvsmtpDKIM::Ed25519Key' ) {
            $@ = 'the key record is not k=ed25519';
            return;
        }
        my $sig = MIME::Base64::decode_base64( $self->signature->data );
        if ( !$key->verify( $self->{header_digest}->digest, $sig ) ) {
            $@ = 'bad ed25519 signature';
            return;
        }
        return $self->check_body_hash;
    }
}
{
    no warnings 'redefine';
    my $algorithm_class = \&Mail::DKIM::Signature::get_algorithm_class;
    *Mail::DKIM::Signature::get_algorithm_class = sub {
        my ( $self, $algorithm ) = @_;
        return 'MvsmtpDKIM::ed25519_sha256' if $algorithm eq 'ed25519-sha256';
        return $algorithm_class->(@_);
    };
    my $hash_algorithm = \&Mail::DKIM::Signature::hash_algorithm;
    *Mail::DKIM::Signature::hash_algorithm = sub {
        return 'sha256' if ( $_[0]->algorithm // '' ) eq 'ed25519-sha256';
        return $hash_algorithm->(@_);
    };
    # a k=ed25519 record (RFC 8463 section 4.2: p= is the raw 32-byte key, no SPKI around it);
    # any other record takes Mail::DKIM's own checks
    my $check = \&Mail::DKIM::PublicKey::check;
    *Mail::DKIM::PublicKey::check = sub {
        my $self = shift;
        my $k    = $self->get_tag('k');
        return $check->( $self, @_ ) unless defined $k && $k eq 'ed25519';
        my $v = $self->get_tag('v');
        die "unsupported version\n" if defined $v && $v ne 'DKIM1';
        my $p = $self->data;
        die "missing p= tag\n" unless defined $p;
        die "revoked\n" if $p eq '';
        my $raw = MIME::Base64::decode_base64($p);
        die "ed25519 key is not 32 octets\n" unless $p =~ m{^[A-Za-z0-9+/]+=*$} && length $raw == 32;
        if ( my $s = $self->get_tag('s') ) {
            die "does not support email\n" unless grep { $_ eq '*' || $_ eq 'email' } split /:/, $s;
        }
        $self->cork( MvsmtpDKIM::Ed25519Key->new($raw) );
        return 1;
    };
    # an rsa-sha256 signature whose selector publishes an Ed25519 key
    my $verify_digest = \&Mail::DKIM::PublicKey::verify_digest;
    *Mail::DKIM::PublicKey::verify_digest = sub {
        if ( ref $_[0]->cork eq 'MvsmtpDKIM::Ed25519Key' ) {
            $@ = 'the key record is k=ed25519, not rsa';
            return;
        }
        return $verify_digest->(@_);
    };
}

# ---------------------------------------------------------------- main
sub usage {
    print STDERR "usage: $0 [--dns ADDR[:PORT]] [--record NAME=TXT ...] [--expect-fail] FILE...\n";
    exit 2;
}

# ADDRESS[:PORT] or [IPV6][:PORT] -> (address, port); an address, as a host name would need
# the system resolver
sub parse_server {
    my ($text) = @_;
    my ( $host, $port ) =
        $text =~ /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/     ? ( $1, $2 )
      : $text =~ /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/ ? ( $1, $2 )
      :                                                   usage();
    return ( $host, $port // 53 );
}

# one line per signature; returns the list of results ('pass' or 'fail')
sub verify_file {
    my ( $path, $message ) = @_;
    $message =~ s/(?<!\r)\n/\r\n/g;
    my $dkim = Mail::DKIM::Verifier->new;
    $dkim->PRINT($message);
    $dkim->CLOSE;
    # DomainKeys (DomainKey-Signature) is not DKIM
    my @signatures = grep { !$_->isa('Mail::DKIM::DkSignature') } $dkim->signatures;
    print "$path: none\n" unless @signatures;
    my @results;
    for my $sig (@signatures) {
        my ( $d, $s, $a ) = map { $_ // '?' } ( $sig->domain, $sig->selector, $sig->algorithm );
        if ( ( $sig->result // '' ) eq 'pass' ) {
            print "$path: pass d=$d s=$s a=$a\n";
            push @results, 'pass';
            next;
        }
        # result_detail is "result (detail)": print it as "result: detail", on one line
        my $reason = $sig->result_detail // $sig->result // 'no result';
        $reason =~ s/^(\w+) \((.*)\)$/$1: $2/s;
        $reason =~ s/ at \S+ line \d+\.?//g;    # where Mail::DKIM died tells a test nothing
        $reason =~ s/\s+/ /g;
        print "$path: fail d=$d s=$s ($reason)\n";
        push @results, 'fail';
    }
    return @results;
}

sub main {
    my $dns = $DEFAULT_DNS;
    my ( @records, $expect_fail );
    GetOptions( 'dns=s' => \$dns, 'record=s' => \@records, 'expect-fail' => \$expect_fail )
      or usage();
    usage() unless @ARGV;
    for (@records) {
        my ( $name, $txt ) = /^([^=]+)=(.*)$/s or usage();
        ( my $key = lc $name ) =~ s/\.$//;
        $MvsmtpDKIM::Resolver::RECORDS{$key} = $txt;
    }
    my ( $host, $port ) = parse_server($dns);
    $Mail::DKIM::DNS::TIMEOUT = 5;    # seconds a key lookup may take, as dkim_verify.py's
    # no search list, no default domain: only the names Mail::DKIM asks for, to this server only
    Mail::DKIM::DNS::resolver(
        MvsmtpDKIM::Resolver->new(
            nameservers => [$host], port => $port, recurse => 1,
            defnames => 0, dnsrch => 0, searchlist => [],
            udp_timeout => 5, tcp_timeout => 5, retry => 2,
        )
    );

    my @messages;
    for my $path (@ARGV) {
        open( my $fh, '<:raw', $path ) or do { print STDERR "dkim_verify.pl: $path: $!\n"; exit 2 };
        local $/;
        push @messages, [ $path, scalar <$fh> ];
        close $fh;
    }
    my $wanted = $expect_fail ? 'fail' : 'pass';
    my $good   = 1;
    for (@messages) {
        my @results = verify_file(@$_);
        $good = 0 unless @results && !grep { $_ ne $wanted } @results;
    }
    return $good ? 0 : 1;
}

exit main();
